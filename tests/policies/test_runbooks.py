"""Runbook files: the shipped ones load and pass check-config; a broken one is named at its file and line, all its
problems at once; the conversation finds the runbook a person means."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from policies.check import check_config, review_config
from policies.loader import load_policy
from policies.runbook_model import Do, Wait
from policies.runbook_params import min_healthy
from policies.runbooks import SHIPPED, check_roles, find_runbook, load_runbooks, runbook_hash, tick_role

FAILOVER = (SHIPPED / "web-failover.yaml").read_text(encoding="utf-8")
FAILBACK = (SHIPPED / "web-failback.yaml").read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """The line of `fragment` in `text` (the test says what it means, not a number that drifts)."""
    (number,) = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return number


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(folder: Path, *, policy: bool = True) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_runbooks(folder, policy=load_policy() if policy else None)
    return err.value.problems


def test_the_shipped_runbooks_load_with_the_shipped_policy() -> None:
    runbooks = load_runbooks(policy=load_policy())
    assert sorted(runbooks) == ["web-failback", "web-failover"]
    failover = runbooks["web-failover"]
    assert (failover.kind, failover.primary, failover.standby, failover.stakeholders) == (
        "failover", "web-prod", "web-dr", ("carol",)
    )  # fmt: skip
    assert [s.do or s.wait or tick_role(s) for s in failover.steps] == [
        Do.POST, Do.SCALE_STANDBY, Wait.STANDBY_HEALTHY, "admin", Do.SWITCH_DNS, Wait.DNS_SETTLED,
        Do.DRAIN_PRIMARY, "operator", Do.POST,
    ]  # fmt: skip
    assert failover.steps[3].name == "Confirm the database replica is promoted"
    assert failover.dns is not None and failover.dns.cloud is None
    assert failover.dns.places == {"web-prod": ("203.0.113.10",), "web-dr": ("198.51.100.20",)}
    failback = runbooks["web-failback"]
    assert [s.do for s in failback.steps if s.do] == [
        Do.POST, Do.SCALE_PRIMARY, Do.SWITCH_DNS, Do.DRAIN_STANDBY, Do.POST
    ]  # fmt: skip
    assert check_roles(runbooks, load_policy()) == []
    assert load_runbooks(None) == load_runbooks(SHIPPED) == runbooks


def test_the_shipped_runbooks_pass_check_config() -> None:
    assert check_config({}) == []
    assert check_config({"OPSBOT_RUNBOOKS": str(SHIPPED)}) == []


def test_the_shipped_runbooks_are_checked_on_their_own_and_ones_own_against_the_policy(tmp_path: Path) -> None:
    """The shipped runbooks are the demo world's: another policy's people are not theirs to know (a deployment's pods
    check a policy that lists nobody). Runbooks one chose must fit one's policy."""
    policy = write(
        tmp_path, "policy.yaml", "roles:\n  viewer:\n    intents: [status]\n  operator:\n    inherits: viewer\n"
    )
    review = review_config({"OPSBOT_POLICY": str(policy)})  # the shipped alerting has its own problems here
    assert not [problem for problem in review.problems if str(SHIPPED) in problem]
    assert not [warning for warning in review.warnings if "runbook" in warning]
    own = review_config({"OPSBOT_POLICY": str(policy), "OPSBOT_RUNBOOKS": str(SHIPPED)})  # chosen: they must fit
    assert f"{SHIPPED / 'web-failover.yaml'}:30: stakeholders.0: unknown user 'carol'" in own.problems
    assert own.warnings == []


def test_the_hash_changes_with_the_content_only(tmp_path: Path) -> None:
    shipped = load_runbooks()["web-failover"]
    write(tmp_path, "web-failover.yaml", "# another comment\n" + FAILOVER)
    assert runbook_hash(load_runbooks(tmp_path)["web-failover"]) == runbook_hash(shipped)
    write(tmp_path, "web-failover.yaml", FAILOVER.replace("expect_seconds: 180", "expect_seconds: 240"))
    edited = load_runbooks(tmp_path)["web-failover"]  # read again: its content changed
    assert edited.steps[1].expect_seconds == 240
    assert runbook_hash(edited) != runbook_hash(shipped)


@pytest.mark.parametrize(
    ("old", "new", "fragment", "expected"),
    [
        pytest.param("wait: standby_healthy", "wait: standby_helthy", "standby_helthy",
                     "steps.2.wait: unknown condition 'standby_helthy' (did you mean 'standby_healthy'?)",
                     id="a misspelt condition"),
        pytest.param("do: drain_primary", "do: unplug_primary", "unplug_primary",
                     "steps.6.do: unknown action 'unplug_primary' (one of: scale_standby, scale_primary, "
                     "drain_primary, drain_standby, switch_dns, health_check, post)", id="an unknown action"),
        pytest.param("    timeout_seconds: 600", "    timout_seconds: 600", "timout_seconds",
                     "steps.2: unknown key 'timout_seconds' (did you mean 'timeout_seconds'?)", id="a misspelt key"),
        pytest.param("kind: failover", "kind: failovr", "failovr", "kind: expected 'failover' or 'failback'",
                     id="an unknown kind"),
        pytest.param("    message: web runs on web-dr\n", "", "Announce the result",
                     "steps.8: a post step needs its message", id="a post without its message"),
        pytest.param("    role: operator", "    role: operator\n    do: post", "Tell the wedding",
                     "steps.7: a step is exactly one of: do (an action), wait (a condition) or human: true",
                     id="a step of two kinds"),
        pytest.param("    timeout_seconds: 300", "    timeout_seconds: 0", "timeout_seconds: 0",
                     "steps.5.timeout_seconds: Input should be greater than or equal to 1", id="a zero timeout"),
        pytest.param("    web-dr: [", "    web-dr2: [", "places:",
                     "dns.places: must name web-prod and web-dr", id="dns places without the standby"),
        pytest.param("name: web-failover", "name: Web Failover", "Web Failover",
                     "name: expected a name of small letters, digits and '-' (web-failover)", id="a bad name"),
    ],
)  # fmt: skip
def test_a_schema_mistake_is_named_at_its_line(
    tmp_path: Path, old: str, new: str, fragment: str, expected: str
) -> None:
    assert old in FAILOVER
    text = FAILOVER.replace(old, new, 1)
    path = write(tmp_path, "web-failover.yaml", text)
    assert problems_of(tmp_path) == [f"{path}:{line_of(text, fragment)}: {expected}"]


def test_a_switch_without_dns_points_at_the_step(tmp_path: Path) -> None:
    text = FAILOVER[: FAILOVER.index("dns:")] + FAILOVER[FAILOVER.index("stakeholders:") :]
    path = write(tmp_path, "web-failover.yaml", text)
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, 'Point www')}: steps.4: a runbook that switches DNS names its dns: cloud, zone, "
        "name and places"
    ]


def test_what_the_schema_cannot_say_all_at_once(tmp_path: Path) -> None:
    text = (
        FAILOVER.replace("standby: web-dr", "standby: web-prod")
        .replace("  - name: Point www.wedding.example at web-dr\n    do: switch_dns\n    expect_seconds: 60\n", "")
        .replace("    message: Failing {primary} over to {standby}\n", "    message: Over\n    min_healthy: 3\n")
        .replace("    role: admin\n", "    role: admin\n    timeout_seconds: 61\n")
    )
    path = write(tmp_path, "web-failover.yaml", text)
    # web-prod is in the places twice now, so the model's own dns check passes: these are the loader's
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, 'standby: web-prod')}: standby: expected another group than the primary (web-prod)",
        f"{path}:{line_of(text, 'min_healthy')}: steps.0.min_healthy: min_healthy is for a standby_healthy or "
        "primary_healthy wait: this step does not use it",
        f"{path}:{line_of(text, 'timeout_seconds: 61')}: steps.3.timeout_seconds: timeout_seconds is for an action "
        "or a wait: this step does not use it",
        f"{path}:{line_of(text, 'wait: dns_settled')}: steps.4.wait: dns_settled waits for a DNS change: put a "
        "switch_dns step before it",
    ]


def test_names_and_kinds_are_unique_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a-failover.yaml", FAILOVER)
    write(tmp_path, "b-failback.yaml", FAILBACK)
    copy = write(tmp_path, "c-copy.yaml", FAILOVER.replace("primary: web-prod", "primary: web-prod  # again"))
    renamed = FAILBACK.replace("name: web-failback", "name: web-failback-2")
    second = write(tmp_path, "d-second.yaml", renamed)
    assert problems_of(tmp_path) == [
        f"{copy}:{line_of(FAILOVER, 'name: web-failover')}: name: web-failover is already the name of the runbook "
        "in a-failover.yaml: rename one",
        f"{copy}:{line_of(FAILOVER, 'kind:')}: kind: web-prod already has a failover: web-failover in a-failover.yaml",
        f"{second}:{line_of(renamed, 'kind:')}: kind: web-prod already has a failback: web-failback in b-failback.yaml",
    ]


def test_roles_and_stakeholders_must_be_the_policys(tmp_path: Path) -> None:
    text = FAILOVER.replace("role: admin", "role: dba").replace("[carol]", "[carol, carl]")
    text = text.replace("    role: operator\n", "")  # no role: an operator ticks it
    path = write(tmp_path, "web-failover.yaml", text)
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, 'stakeholders')}: stakeholders.1: unknown user 'carl' (did you mean 'carol'?)",
        f"{path}:{line_of(text, 'role: dba')}: steps.3.role: unknown role 'dba' (roles: viewer, operator, admin)",
    ]
    runbooks = load_runbooks(tmp_path)  # without the policy, only the file itself is checked
    assert tick_role(runbooks["web-failover"].steps[7]) == "operator"
    assert check_roles(runbooks, load_policy()) == [
        "web-failover: steps.3.role: unknown role 'dba' (roles: viewer, operator, admin)",
        "web-failover: stakeholders.1: unknown user 'carl' (did you mean 'carol'?)",
    ]


def test_check_config_lists_a_broken_runbook_folder(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    broken = FAILOVER.replace("wait: dns_settled", "wait: dns_setled").replace("role: admin", "role: admn")
    failover = write(folder, "web-failover.yaml", broken)
    failback = write(folder, "web-failback.yaml", FAILBACK.replace("role: admin", "role: admn"))
    stray = write(folder, "notes.yml", "name: notes\n")
    assert check_config({"OPSBOT_RUNBOOKS": str(folder), "OPSBOT_DR_BROADCAST_MINUTES": "0"}) == [
        "OPSBOT_DR_BROADCAST_MINUTES: out of range (expected above 0, up to 120)",
        f"{stray}: runbooks are read from *.yaml files: rename it",
        f"{failback}:{line_of(FAILBACK, 'role: admin')}: steps.3.role: unknown role 'admn' (did you mean 'admin'?)",
        f"{failover}:{line_of(broken, 'dns_setled')}: steps.5.wait: unknown condition 'dns_setled' (did you mean "
        "'dns_settled'?)",
    ]
    config = tmp_path / "opsbot.yaml"
    config.write_text(f"runbooks: {folder}\n")
    failover.write_text(FAILOVER)
    failback.write_text(FAILBACK)
    stray.unlink()
    assert check_config({"OPSBOT_CONFIG": str(config)}) == []


def test_files_that_are_not_runbooks(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "missing") == [
        f"{tmp_path / 'missing'}: no such folder of runbooks (OPSBOT_RUNBOOKS names a folder of *.yaml files)"
    ]
    tmp_path.joinpath("README.md").write_text("runbooks live here\n")
    assert problems_of(tmp_path) == [f"{tmp_path}: holds no runbook (*.yaml files)"]
    listed = write(tmp_path, "a.yaml", "- name: web-failover\n")
    broken = write(tmp_path, "b.yaml", "name: web-failover\nsteps: [\n")
    empty = write(tmp_path, "c.yaml", "")
    (syntax,) = [p for p in problems_of(tmp_path) if p.startswith(f"{broken}:")]
    assert syntax.startswith(f"{broken}:3: not valid YAML")
    assert [p for p in problems_of(tmp_path) if not p.startswith(f"{broken}:")] == [
        f"{listed}:1: expected a mapping with at least 'name', 'kind', 'primary', 'standby' and 'steps'",
        f"{empty}:1: expected a mapping with at least 'name', 'kind', 'primary', 'standby' and 'steps'",
    ]
    write(tmp_path, "d.yaml", "title: Only a title\n")
    assert problems_of(tmp_path)[-6:] == [
        f"{tmp_path / 'd.yaml'}:1: missing key '{key}'"
        for key in ("name", "kind", "service", "primary", "standby", "steps")
    ]


def test_find_the_runbook_a_person_means() -> None:
    runbooks = load_runbooks()
    for name in ("web", "web-prod", "WEB-DR ", "web-failover"):
        found = find_runbook(runbooks, "failover", name)
        assert found is not None and found.name == "web-failover", name
    back = find_runbook(runbooks, "failback", "web-prod")
    assert back is not None and back.name == "web-failback"
    assert find_runbook(runbooks, "failover", "api") is None
    assert find_runbook(runbooks, "failover", "web-failback") is None  # a failback is not a failover


def test_a_name_that_fits_two_runbooks_finds_none(tmp_path: Path) -> None:
    write(tmp_path, "web.yaml", FAILOVER)
    other = FAILOVER.replace("name: web-failover", "name: shop-failover").replace("web-prod", "shop-prod")
    write(tmp_path, "shop.yaml", other.replace("service: web", "service: shop"))
    runbooks = load_runbooks(tmp_path)
    assert find_runbook(runbooks, "failover", "web-dr") is None  # both fail over to web-dr: say which
    found = find_runbook(runbooks, "failover", "shop")
    assert found is not None and found.primary == "shop-prod"


# A broken copy of the shipped failover: each (what, into what).
BROKEN_PARAMETERS = (
    ("  host: www.wedding.example\n", "  host: www.wedding.example\n  standby: web-dr\n"),
    ("  - standby_exists\n", "  - standby_exists\n  - replication_lag_below\n"),
    ("message: Failing {primary} over to {standby}", 'message: "{standby} takes traffic from {hots}"'),
    ("message: web runs on web-dr", 'message: "web on {standby:>10}"'),
    (
        "  - name: Drain web-prod\n",
        "  - name: Check\n    do: health_check\n    url: ftp://{host}\n  - name: Drain web-prod\n",
    ),
)


def test_parameters_and_preconditions_are_checked_with_their_lines(tmp_path: Path) -> None:
    text = FAILOVER
    for before, after in BROKEN_PARAMETERS:
        text = text.replace(before, after)
    path = write(tmp_path, "web-failover.yaml", text)
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, '  standby: web-dr')}: parameters.standby: standby is always the runbook's own "
        "standby: choose another name",
        f"{path}:{line_of(text, '- replication_lag_below')}: preconditions.1: replication_lag_below reads the "
        "replication check: add replication: url",
        f"{path}:{line_of(text, '{hots}')}: steps.0.message: unknown parameter 'hots' in {{hots}} (did you mean "
        "'host'?)",
        f"{path}:{line_of(text, 'ftp://')}: steps.6.url: not a URL once its parameters are filled in: "
        "ftp://www.wedding.example",
        f"{path}:{line_of(text, '{standby:>10}')}: steps.9.message: a placeholder is only {{name}} in {{standby:>10}}",
    ]


def test_an_unknown_precondition_is_named_with_a_suggestion(tmp_path: Path) -> None:
    text = FAILOVER.replace("  - dns_points_at_primary", "  - dns_points_at_primray")
    path = write(tmp_path, "web-failover.yaml", text)
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, 'primray')}: preconditions.1: unknown precondition 'dns_points_at_primray' (did you "
        "mean 'dns_points_at_primary'?)"
    ]


def test_the_shipped_runbooks_guard_the_direction_of_traffic() -> None:
    runbooks = load_runbooks()
    assert runbooks["web-failover"].preconditions == ("standby_exists", "dns_points_at_primary")
    assert runbooks["web-failback"].preconditions == ("standby_exists", "dns_points_at_standby")
    assert runbooks["web-failover"].parameters == {"host": "www.wedding.example"}


def test_a_health_waits_minimum_may_be_a_parameter(tmp_path: Path) -> None:
    wait = "    wait: standby_healthy\n"
    text = FAILOVER.replace("  host: www.wedding.example\n", "  host: www.wedding.example\n  enough: 6\n")
    write(tmp_path, "web-failover.yaml", text.replace(wait, wait + '    min_healthy: "{enough}"\n'))
    runbook = load_runbooks(tmp_path)["web-failover"]
    assert min_healthy(runbook, runbook.steps[2]) == 6
    path = write(tmp_path, "web-failover.yaml", text.replace(wait, wait + '    min_healthy: "{host}"\n'))
    assert problems_of(tmp_path) == [
        f"{path}:{line_of(text, 'wait: standby_healthy') + 1}: steps.2.min_healthy: expected a number, or {{name}} of "
        "a parameter holding one, not '{host}'"
    ]
