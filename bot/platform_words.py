"""What leadbot says on a platform that the dialogs do not: button labels, notes, the App Home tab.

The words themselves are in content/wording.yaml (`slack_*`, `teams_*`), and in
content/cy/wording.yaml in Welsh: renderers are passed the phrases of the reply's
language (`Content.in_language(code).wording`). `packaged()` is the packaged English
phrases, for a caller that has no content at hand (nudges sent by a messenger).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import yaml

Words = Mapping[str, str]


@lru_cache(maxsize=1)
def packaged() -> dict[str, str]:
    from dialogs.content_loader import default_content_dir

    with open(default_content_dir() / "wording.yaml", encoding="utf-8") as f:
        return dict(yaml.safe_load(f)["phrases"])


def of(words: Words | None) -> Words:
    return words if words is not None else packaged()
