"""`leadbot teams package`: the zip an administrator uploads to Teams, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import zipfile
import zlib

import pytest

from tests.conftest import LEADBOT

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

APP_ID = "7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _run(*args: str, env_extra: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSOFT_")}
    env.update(env_extra or {})
    return subprocess.run(
        [LEADBOT, "teams", "package", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def _read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int, int]]]]:
    """Width, height and RGBA rows of an 8-bit RGBA PNG without filtering (what bot.teams.icons writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = header[:4]
    assert (depth, colour_type) == (8, 6), "8-bit RGBA"
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0
        rows.append([tuple(line[1 + x * 4 : 5 + x * 4]) for x in range(width)])
    return width, height, rows


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> zipfile.ZipFile:
    """Built once for the tests that only read it."""
    tmp_path = tmp_path_factory.mktemp("package")
    out = tmp_path / "upload" / "leadbot-teams.zip"
    result = _run("--app-id", APP_ID, "--host", "leadbot.example.gov.uk", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    return zipfile.ZipFile(out)


def test_the_zip_holds_the_manifest_and_icons_at_its_root(package):
    assert sorted(package.namelist()) == ["color.png", "cy.json", "manifest.json", "outline.png"]


def test_the_package_describes_leadbot_in_welsh_too(package):
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en-gb",
        "additionalLanguages": [{"languageTag": "cy", "file": "cy.json"}],
    }
    cy = json.loads(package.read("cy.json"))
    assert cy["$schema"].endswith("/v1.22/MicrosoftTeams.Localization.schema.json"), (
        "the same schema version as the manifest"
    )
    (bot,) = manifest["bots"]
    # every string the manifest shows has its Welsh, and nothing else is translated
    shown = {"name.short", "name.full", "description.short", "description.full"}
    for i, lst in enumerate(bot["commandLists"]):
        for j, _ in enumerate(lst["commands"]):
            shown |= {
                f"bots[0].commandLists[{i}].commands[{j}].title",
                f"bots[0].commandLists[{i}].commands[{j}].description",
            }
    assert set(cy) - {"$schema"} == shown
    assert len(cy["name.short"]) <= 30 and len(cy["description.short"]) <= 80 and len(cy["name.full"]) <= 100
    assert all(len(v) <= 32 for k, v in cy.items() if k.endswith(".title"))
    assert all(len(v) <= 128 for k, v in cy.items() if k.endswith("].description"))


def test_the_manifest_is_filled_in_for_this_bot(package):
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"].endswith("/v1.22/MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID and GUID.match(manifest["id"])
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    commands = {c["title"] for lst in bot["commandLists"] for c in lst["commands"]}
    assert {"help", "forget me", "My team keeps missing deadlines"} <= commands
    assert manifest["validDomains"] == ["leadbot.example.gov.uk"]
    assert manifest["developer"]["privacyUrl"] == "https://leadbot.example.gov.uk/privacy"
    # limits the Teams schema sets
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000 and len(manifest["developer"]["name"]) <= 32
    assert all(len(c["title"]) <= 32 for lst in bot["commandLists"] for c in lst["commands"])
    assert re.fullmatch(r"#[0-9A-F]{6}", manifest["accentColor"])
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")


def test_the_icons_are_the_sizes_teams_asks_for(package):
    width, height, rows = _read_png(package.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for row in rows for p in row), "the colour icon is opaque"
    width, height, rows = _read_png(package.read("outline.png"))
    assert (width, height) == (32, 32)
    pixels = [p for row in rows for p in row]
    assert all(p[:3] == (255, 255, 255) for p in pixels), "the outline icon is white only"
    assert rows[0][0][3] == 0 and rows[31][31][3] == 0, "on a transparent background"
    assert sum(p[3] == 255 for p in pixels) > 50, "with a visible symbol"


def test_the_app_id_can_come_from_the_setting(tmp_path):
    result = _run("--out", str(tmp_path / "p.zip"), env_extra={"MICROSOFT_APP_ID": APP_ID}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads(zipfile.ZipFile(tmp_path / "p.zip").read("manifest.json"))
    assert manifest["bots"][0]["botId"] == APP_ID
    assert "leadbot.invalid" in result.stderr, "placeholder links are pointed out"


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "give --app-id, or set MICROSOFT_APP_ID"),
        (["--app-id", "leadbot"], "--app-id: must be a GUID"),
        (["--app-id", APP_ID, "--version", "one"], "--version: must look like 1.0.0"),
        (
            ["--app-id", APP_ID, "--privacy-url", "http://intranet/privacy"],
            "--privacy-url: must be an https:// address",
        ),
    ],
)
def test_bad_arguments_are_explained(tmp_path, args, message):
    result = _run(*args, "--out", str(tmp_path / "p.zip"), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "p.zip").exists()
