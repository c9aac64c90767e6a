"""Resource ids as people type them: opsbot's whole id ("aws:prod:us-east-1:i-0abc..."), the cloud's own part
("i-0abc...", "vm/db-prod", "instance/api-1"), an Azure resource id ("/subscriptions/<sub>/resourceGroups/<rg>/
providers/Microsoft.Compute/virtualMachines/<name>") or a Google Cloud selfLink (".../projects/<p>/zones/<z>/
instances/<name>"). An id is exact: it names one resource whatever that resource is called. A unique prefix of an
id ("i-0abc1", "aws:prod:us-east-1:i-0ab") finds it too; an ambiguous one gives candidates."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from functools import cached_property

from intents.resolve import MAX_CANDIDATES, trim_filler

# What the cloud calls its own ids: i-0abc..., vol-..., and a typed prefix of one (four hex digits or more, a
# decimal digit among them: "web-beef" is a name).
_NATIVE_ID = re.compile(r"[a-z]{1,5}-(?=[0-9a-f]*[0-9])[0-9a-f]{4,17}")
_ARM = re.compile(
    r"subscriptions/([^/\s]+)/resourcegroups/([^/\s]+)/providers/microsoft\.compute/"
    r"(virtualmachines|virtualmachinescalesets)/([^/\s]+)(?:/virtualmachines/([^/\s]+))?"
)
_SELF_LINK = re.compile(r"projects/([^/\s]+)/(?:zones|regions)/([^/\s]+)/(instances|instancegroupmanagers)/([^/\s]+)")
_ARM_KIND = {"virtualmachines": "vm", "virtualmachinescalesets": "vmss"}
_GCP_KIND = {"instances": "instance", "instancegroupmanagers": "mig"}


def native_part(resource_id: str) -> str:
    """'aws:prod:us-east-1:i-0abc' -> 'i-0abc'; 'azure:<sub>:<rg>:vm/db-prod' -> 'vm/db-prod'."""
    return resource_id.rsplit(":", 1)[-1]


def typed_id(phrase: str) -> str | None:
    """The id form of what was typed (lower case), or None when it does not look like an id at all: an Azure
    resource id or a Google Cloud selfLink becomes opsbot's id; "i-0abc", "vm/db-prod", "aws:..." stay."""
    words = trim_filler(phrase.lower().split())
    text = " ".join(words)
    arm = _ARM.search(text)
    if arm is not None:
        subscription, group, kind, name, member = arm.groups()
        return f"azure:{subscription}:{group}:{_ARM_KIND[kind]}/{name}" + (f"/{member}" if member else "")
    link = _SELF_LINK.search(text)
    if link is not None:
        project, zone, kind, name = link.groups()
        return f"gcp:{project}:{zone}:{_GCP_KIND[kind]}/{name}"
    if len(words) != 1:
        return None
    if ":" in text or "/" in text or _NATIVE_ID.fullmatch(text):
        return text
    return None


class IdIndex:
    """Every id of one inventory, by its whole form and by the cloud's own part (lower case). Built in about 0.1 s
    per 100,000 ids; the sorted forms for prefixes only on the first prefix asked."""

    def __init__(self, ids: Iterable[str]) -> None:
        given = list(ids)
        wholes = [resource_id.lower() for resource_id in given]
        natives = [native_part(whole) for whole in wholes]
        self._by_whole = dict(zip(wholes, given, strict=True))
        self._by_native = dict(zip(natives, given, strict=True))
        self._repeated: dict[str, tuple[str, ...]] = {}  # cloud parts several ids share (a name in two zones)
        if len(self._by_native) < len(given):
            counts = Counter(natives)
            for native, resource_id in zip(natives, given, strict=True):
                if counts[native] > 1:
                    self._repeated[native] = (*self._repeated.get(native, ()), resource_id)

    def exact(self, typed: str) -> tuple[str, ...]:
        """The ids a typed id form (from `typed_id`) equals: one, or several sharing the cloud's part."""
        whole = self._by_whole.get(typed)
        if whole is not None:
            return (whole,)
        if typed in self._repeated:
            return self._repeated[typed]
        native = self._by_native.get(typed)
        return () if native is None else (native,)

    def prefixed(self, typed: str) -> tuple[str, ...]:
        """The ids a typed id form starts, at most MAX_CANDIDATES + 1 (one more than can be offered says there are
        too many). The cloud's part of an Azure or GCP id ("vm/db-prod") is no prefix: its name is whole."""
        if "/" in typed and ":" not in typed:
            return ()
        found: dict[str, None] = {}
        forms = self._forms
        for form in forms[bisect.bisect_left(forms, typed) :]:
            if not form.startswith(typed) or len(found) > MAX_CANDIDATES:
                break
            found.update(dict.fromkeys(self.exact(form)))
        return tuple(found)

    def short(self, resource_id: str) -> str:
        """The shortest form that names only this resource: the cloud's own part, else the whole id."""
        native = native_part(resource_id.lower())
        return native if native not in self._repeated and self._by_native.get(native) == resource_id else resource_id

    @cached_property
    def _forms(self) -> list[str]:
        return sorted({*self._by_whole, *self._by_native})
