"""The Teams app package an administrator uploads: manifest.json, color.png, outline.png and cy.json in one zip.

cy.json is the manifest's text in Welsh (`localizationInfo`): Teams shows it to people whose Teams is in Welsh.

bot/teams/package/manifest.json is the template; `build_manifest` fills in
this organisation's values (the bot's app id, the host it runs on, the
developer links) and `write_package` writes the zip.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from pydantic import BaseModel, Field, field_validator

PACKAGE_DIR = Path(__file__).resolve().parent / "package"
ICONS = ("color.png", "outline.png")
# Translations of the manifest's text, shown to people whose Teams is in that language.
LOCALISATIONS = {"cy": "cy.json"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
PLACEHOLDER_HOST = "leadbot.invalid"


class PackageOptions(BaseModel):
    app_id: str  # MICROSOFT_APP_ID: the Azure Bot's Microsoft app id
    host: str | None = None  # where leadbot runs: the messaging endpoint is https://<host>/api/messages
    teams_app_id: str | None = None  # the Teams app's own id; defaults to the bot's app id
    version: str = "1.0.0"
    developer_name: str = Field(default="leadbot", max_length=32)
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None

    @field_validator("app_id", "teams_app_id")
    @classmethod
    def _guid(cls, v: str | None) -> str | None:
        if v is not None and not GUID.match(v):
            raise ValueError(
                "must be a GUID like 7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b (the Azure app registration's Application (client) ID)"
            )
        return v

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        if not v:
            return None
        parsed = urlparse(v if "://" in v else f"https://{v}")
        if not parsed.hostname or "." not in parsed.hostname:
            raise ValueError("must be a host name such as leadbot.example.gov.uk")
        return parsed.hostname.lower() + (f":{parsed.port}" if parsed.port else "")

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not SEMVER.match(v):
            raise ValueError("must look like 1.0.0 (raise it each time you upload a changed package)")
        return v

    @field_validator("website_url", "privacy_url", "terms_url")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and (urlparse(v).scheme != "https" or not urlparse(v).hostname):
            raise ValueError("must be an https:// address")
        return v

    @property
    def uses_placeholder_links(self) -> bool:
        return self.host is None and not (self.website_url and self.privacy_url and self.terms_url)


def template() -> dict:
    return json.loads((PACKAGE_DIR / "manifest.json").read_text(encoding="utf-8"))


def build_manifest(options: PackageOptions) -> dict:
    manifest = template()
    manifest["id"] = options.teams_app_id or options.app_id
    manifest["version"] = options.version
    for bot in manifest["bots"]:
        bot["botId"] = options.app_id
    site = f"https://{options.host or PLACEHOLDER_HOST}"
    manifest["developer"].update(
        name=options.developer_name,
        websiteUrl=options.website_url or f"{site}/",
        privacyUrl=options.privacy_url or f"{site}/privacy",
        termsOfUseUrl=options.terms_url or f"{site}/terms",
    )
    manifest["validDomains"] = [options.host.split(":")[0]] if options.host else []
    manifest["localizationInfo"] = {
        "defaultLanguageTag": "en-gb",
        "additionalLanguages": [{"languageTag": tag, "file": file} for tag, file in LOCALISATIONS.items()],
    }
    return manifest


def write_package(options: PackageOptions, out: Path) -> Path:
    """Write the zip: manifest.json and the two icons at its root, as Teams expects."""
    manifest = build_manifest(options)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for icon in ICONS:
            zf.write(PACKAGE_DIR / icon, icon)
        for file in LOCALISATIONS.values():
            zf.write(PACKAGE_DIR / file, file)
    return out
