"""Reading the release manifest (setting `releases`, env OPSBOT_RELEASES; unset: the shipped example for the demo
world's web and api). Every problem comes back at once as 'FILE:LINE: where: what', read with the policy file's
line-keeping YAML reader, so `opsbot check-config` can list them; and what a person types is matched to the
manifest's names here ("2.4" and "V2.4" mean v2.4, a commit prefix means the version built from it)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from actions.deploy.model import Manifest, Service
from core.annotations import keys_at
from core.errors import ConfigError, first_of
from policies.model import did_you_mean
from policies.yamlfile import YamlDocument, describe, read_yaml

SHIPPED = Path(__file__).with_name("releases.yaml")
MAX_SERVICES = 50
MAX_VERSIONS = 200  # per service
# Names are shown in chat, buttons and the audit: plain letters, digits and a few separators, nothing that a chat
# platform would read as markup or a mention.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,39}")
_COMMIT_PREFIX = re.compile(r"[0-9a-fA-F]{7,64}")

Loc = tuple[str | int, ...]  # a place in the file, as pydantic names it
Problem = tuple[Loc, str]


def load_manifest(path: Path | None = None) -> Manifest:
    """The manifest in `path` (None: the shipped example). Raises ConfigError listing every problem. A file is
    parsed again only when its content changed, so callers need not keep the manifest."""
    path = path or SHIPPED
    try:
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        content = ""  # read_yaml says why it cannot be read
    return _load(path, content)


@lru_cache(maxsize=8)
def _load(path: Path, content: str) -> Manifest:
    document = read_yaml(path)
    data = document.mapping("a release manifest", "'services'")
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise _invalid(document, [_schema_problem(err) for err in exc.errors()]) from exc
    if found := [(loc, f"{_where(loc)}{what}") for loc, what in _problems(manifest)]:
        raise _invalid(document, found)
    return manifest


def _invalid(document: YamlDocument, found: list[Problem]) -> ConfigError:
    problems = document.problems(found)
    return ConfigError(first_of(problems), problems)


def _where(loc: Loc) -> str:
    """ "web.versions.v2.4.aws: " for a place inside a service (the line alone is easy to misread in a long
    file); nothing at the top."""
    inside = [str(part) for part in loc[1:] if part != "[key]"] if loc[:1] == ("services",) else []
    return f"{'.'.join(inside)}: " if inside else ""


def _schema_problem(err: ErrorDetails) -> Problem:
    """The YAML files' wording, with a suggestion for a misspelt key (named in the words, so not in the place)."""
    loc, what = err["loc"], describe(err)
    last = str(loc[-1]) if loc else ""
    if err["type"] == "extra_forbidden":
        what += did_you_mean(last, keys_at(Manifest, loc[:-1]))
    elif err["type"] == "string_pattern_mismatch" and last in _PATTERNS:
        what = f"expected {_PATTERNS[last]}"
    elif err["type"] == "too_short":
        what = "give at least one"
    elif last == "[key]" and "versions" in loc:
        what += ": write a version name in quotes, or with its v (v1.0)"
    if err["type"] in ("extra_forbidden", "missing"):
        return loc, f"{_where(loc[:-1])}{what}"
    return loc, f"{_where(loc)}{what}"


_PATTERNS = {
    "template_version": 'a launch template version number, in quotes ("7"): never $Latest or $Default, which a '
    "rollback cannot return to",
    "ami": "an AMI id, like ami-0abc1234def567890",
}


def _problems(manifest: Manifest) -> Iterator[Problem]:
    """What the schema cannot say: limits, names safe to show, one home per group, usable versions."""
    if len(manifest.services) > MAX_SERVICES:
        yield ("services",), f"at most {MAX_SERVICES} services (there are {len(manifest.services)})"
    homes: dict[str, str] = {}  # group -> "web prod", its first place in the file
    for name, service in manifest.services.items():
        loc: Loc = ("services", name)
        yield from _unsafe(loc, name, "service")
        yield from _service_problems(loc, service)
        for env_name, environment in service.environments.items():
            yield from _unsafe((*loc, "environments", env_name), env_name, "environment")
            for index, ref in enumerate(environment.groups):
                home = homes.setdefault(ref.group, f"{name} {env_name}")
                if home != f"{name} {env_name}" or ref.group in [r.group for r in environment.groups[:index]]:
                    where = (*loc, "environments", env_name, "groups", index, "group")
                    yield where, f"{ref.group} is already in {home}: a group belongs to one environment"


def _service_problems(loc: Loc, service: Service) -> Iterator[Problem]:
    if len(service.versions) > MAX_VERSIONS:
        yield (*loc, "versions"), f"at most {MAX_VERSIONS} versions (there are {len(service.versions)})"
    seen: dict[str, str] = {}
    for name, version in service.versions.items():
        where = (*loc, "versions", name)
        yield from _unsafe(where, name, "version")
        if (same := seen.setdefault(_plain(name), name)) != name:
            yield where, f"{name} and {same} read as the same version: rename one"
        if version.aws is None and version.azure is None and version.gcp is None:
            yield where, "says what it is in no cloud: give aws, azure or gcp"
    url = service.compare_url
    if url is not None and not (url.startswith(("https://", "http://")) and "{from}" in url and "{to}" in url):
        yield (*loc, "compare_url"), "expected an http(s) address with {from} and {to} in it"


def _unsafe(loc: Loc, name: str, kind: str) -> Iterator[Problem]:
    if not _SAFE_NAME.fullmatch(name):
        yield loc, f"a {kind} name is shown in chat: use up to 40 letters, digits, '.', '_', '+' or '-'"


def _plain(name: str) -> str:
    """ "V2.4" and "2.4" -> "2.4": how a version name is compared with what was typed."""
    lowered = name.strip().lower()
    return lowered[1:] if lowered[:1] == "v" and lowered[1:2].isdigit() else lowered


def version_named(service: Service, typed: str) -> str | None:
    """The manifest's name for the version `typed` ("2.4", "v2.4", "V2.4" -> "v2.4"; a commit prefix of 7 or more
    hex digits -> the version built from it); None when none (or more than one, for a commit prefix) fits."""
    wanted = _plain(typed)
    if exact := next((name for name in service.versions if _plain(name) == wanted), None):
        return exact
    if not _COMMIT_PREFIX.fullmatch(typed.strip()):
        return None
    prefix = typed.strip().lower()
    built = [name for name, v in service.versions.items() if v.commit and v.commit.lower().startswith(prefix)]
    return built[0] if len(built) == 1 else None


def find_service(manifest: Manifest, name: str) -> tuple[str, str | None] | None:
    """What `name` means: a service ("web" -> ("web", None)) or one of its groups ("web-prod" -> ("web",
    "prod"), the environment it is in); None when the manifest knows neither."""
    wanted = name.strip().lower()
    if service := next((s for s in manifest.services if s.lower() == wanted), None):
        return service, None
    for service, spec in manifest.services.items():
        for env_name, environment in spec.environments.items():
            if any(ref.group.lower() == wanted for ref in environment.groups):
                return service, env_name
    return None
