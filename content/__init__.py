"""leadbot's packaged content: the YAML files in this folder. See README.md, "Editing content"."""
