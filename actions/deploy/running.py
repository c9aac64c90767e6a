"""What a group runs when opsbot has no word for it yet (no deploy of it recorded, and an inventory that does not
say - the real clouds' do not): its cloud's own model (launch template version, scale set image, MIG template),
named by the release manifest's version with that spec. Read for every such group at once, within a deadline:
a group whose cloud does not answer in time stays "not known", which the preview says."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

from actions.deploy.model import DeployRequest, GroupChange, RolloutBackend, Service, VersionSpec
from core.errors import ProviderError
from core.models import Cloud


def name_of(service: Service, cloud: Cloud, spec: VersionSpec | None) -> str | None:
    """The manifest's name for the version whose spec in `cloud` is `spec`; None when none is."""
    if spec is None:
        return None
    for name, version in service.versions.items():
        known = version.spec_for(cloud)
        if known is not None and _same(known, spec):
            return name
    return None


def _same(a: VersionSpec, b: VersionSpec) -> bool:
    """The same version in its cloud: a launch template by name or id and number, an AMI, an image or a template by
    its last path part (a URL and a name name the same template)."""
    if a.launch_template is not None or b.launch_template is not None:
        return (a.launch_template, a.template_version) == (b.launch_template, b.template_version)
    if a.ami is not None or b.ami is not None:
        return a.ami == b.ami
    return _tail(a.image or a.instance_template) == _tail(b.image or b.instance_template)


def _tail(ref: str | None) -> str | None:
    return ref.rstrip("/").rsplit("/", 1)[-1].lower() if ref else None


def with_running(
    request: DeployRequest, service: Service, backends: Mapping[Cloud, RolloutBackend], *, deadline: float = 1.0
) -> DeployRequest:
    """`request` with each group whose `from_version` is not known read from its cloud; a group found already on the
    version is left out. Raises ProviderError when that leaves nothing to do."""
    unknown = [g for g in request.groups if g.from_version is None and g.cloud in backends]
    if not unknown:
        return request
    pool = ThreadPoolExecutor(max_workers=min(16, len(unknown)), thread_name_prefix="deploy-running")
    try:
        asked: dict[Future[VersionSpec | None], GroupChange] = {
            pool.submit(backends[g.cloud].running, g): g for g in unknown
        }
        done, _late = wait(asked, timeout=deadline)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    found: dict[str, str] = {}
    for future in done:
        change = asked[future]
        try:
            name = name_of(service, change.cloud, future.result())
        except ProviderError:
            continue  # not known: the checks that follow say what is wrong with the group
        if name is not None:
            found[change.group] = name
    groups = [g.model_copy(update={"from_version": found[g.group]}) if g.group in found else g for g in request.groups]
    left = tuple(g for g in groups if g.from_version != g.to_version)
    if not left:
        raise ProviderError(f"{request.service} {request.environment} already runs {request.version} everywhere")
    return request.model_copy(update={"groups": left})
