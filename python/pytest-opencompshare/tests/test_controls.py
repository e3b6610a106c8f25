"""The fixtures' helpers against a real server in testing mode, and the mode's security."""
import json
import time
import urllib.request

import pytest
from ucloud.core import exc

from conftest import alive
from pytest_opencompshare import Server


def code_of(call):
    with pytest.raises(exc.RetCodeException) as e:
        call()
    return e.value.code


def test_the_fixture_yields_a_configured_client_and_the_operator_keys(compshare):
    creds = json.loads((compshare.data_dir / "default-credentials.json").read_text())
    assert (compshare.public_key, compshare.private_key, compshare.project_id) == (creds["PublicKey"], creds["PrivateKey"], creds["ProjectId"])
    assert (compshare.region, compshare.zone) == ("cn-wlcb", "cn-wlcb-01")
    assert compshare.client.ucompshare().describe_comp_share_instance({"Zone": compshare.zone})["UHostSet"] == []


def test_faults_are_armed_listed_and_cleared(compshare):
    a = compshare.fault("powerOn", "fail", uhost_id="uhost-x", times=3, message="no power")
    b = compshare.fault("snapshot", "slow", delay_ms=250)
    listed = {f["FaultId"]: f for f in compshare.faults()}
    assert set(listed) == {a, b}
    assert {k: listed[a][k] for k in ("Method", "Mode", "UHostId", "Times", "Remaining", "Fired", "Message")} == {
        "Method": "powerOn", "Mode": "fail", "UHostId": "uhost-x", "Times": 3, "Remaining": 3, "Fired": 0, "Message": "no power"}
    assert listed[b]["DelayMs"] == 250
    assert compshare.clear_faults(a) == 1
    assert [f["FaultId"] for f in compshare.faults()] == [b]
    assert compshare.clear_faults() == 1 and compshare.faults() == []


def test_a_failing_power_on_fails_the_start(compshare):
    ucs = compshare.client.ucompshare()
    uhost_id = compshare.create_instance()
    ucs.stop_comp_share_instance({"Zone": compshare.zone, "UHostId": uhost_id})
    compshare.wait_state(uhost_id, "Stopped")
    compshare.fault("powerOn", "fail", uhost_id=uhost_id, message="no power")
    ucs.start_comp_share_instance({"Zone": compshare.zone, "UHostId": uhost_id})
    deadline = time.monotonic() + 30
    while True:
        op = compshare.invoke("DescribeCompShareInstanceOperations", {"UHostId": uhost_id})["OperationSet"][0]
        if op["Status"] != "Running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (op["Action"], op["Status"]) == ("StartCompShareInstance", "Failed")
    assert "no power" in op["ErrorMessage"]
    assert [f["Fired"] for f in compshare.faults()] == [1]


def test_the_clock_only_moves_forward(compshare):
    start = compshare.clock()
    moved = compshare.advance(7200)
    assert moved["OffsetSeconds"] >= start["OffsetSeconds"] + 7200
    assert moved["Time"] >= start["Time"] + 7200
    assert code_of(lambda: compshare.advance(0)) == 230
    assert compshare.clock()["OffsetSeconds"] >= moved["OffsetSeconds"]


def test_snapshots_save_restore_and_delete(compshare):
    uhost_id = compshare.create_instance()
    saved = compshare.snapshot("one")
    assert saved["Name"] == "one" and saved["Size"] > 0
    assert code_of(lambda: compshare.snapshot("one")) == 230  # exists already: Overwrite replaces it
    compshare.snapshot("one", overwrite=True)
    compshare.reset()
    assert compshare.describe(uhost_id) is None
    assert [s["Name"] for s in compshare.snapshots()] == ["one"]  # kept by the reset
    compshare.restore("one")
    assert compshare.describe(uhost_id)["State"] == "Running"
    compshare.delete_snapshot("one")
    assert compshare.snapshots() == []


def test_reset_ends_a_hung_operation_first(compshare):
    uhost_id = compshare.create_instance()
    compshare.advance(3600)
    compshare.fault("reboot", "hang", uhost_id=uhost_id)
    compshare.client.ucompshare().reboot_comp_share_instance({"Zone": compshare.zone, "UHostId": uhost_id})
    compshare.wait_state(uhost_id, "Rebooting")
    compshare.reset()
    assert compshare.describe(uhost_id) is None
    assert compshare.faults() == [] and compshare.clock()["OffsetSeconds"] < 60


def test_reset_ends_a_hung_power_on_past_the_locks_ttl(compshare):
    ucs = compshare.client.ucompshare()
    uhost_id = compshare.create_instance()
    ucs.stop_comp_share_instance({"Zone": compshare.zone, "UHostId": uhost_id})
    compshare.wait_state(uhost_id, "Stopped")
    compshare.fault("powerOn", "hang", uhost_id=uhost_id)
    ucs.start_comp_share_instance({"Zone": compshare.zone, "UHostId": uhost_id})
    compshare.wait_state(uhost_id, "Starting")
    compshare.reset()
    assert compshare.describe(uhost_id) is None


def test_testing_mode_shows_in_the_metrics(compshare):
    text = urllib.request.urlopen(compshare.base_url + "/metrics").read().decode()
    assert "ocs_testing_mode 1" in text.splitlines()


def test_another_account_is_refused(compshare):
    other = compshare.ocs("account", "create", "someone-else")
    client = compshare.new_client(public_key=other["PublicKey"], private_key=other["PrivateKey"], project_id=other["ProjectId"])
    assert code_of(lambda: client.invoke("DescribeCompShareClock", {})) == 299


def test_without_testing_mode_the_actions_do_not_exist(tmp_path, ocs_command):
    from pytest_opencompshare import CompShare

    with Server(tmp_path, command=ocs_command, env={"OCS_TESTING": "0"}) as server:
        cs = CompShare(server)
        for action in ("AdvanceCompShareClock", "ArmCompShareFault", "ResetCompShareState", "SaveCompShareSnapshot"):
            assert code_of(lambda: cs.invoke(action, {"Seconds": 1})) == 161
        text = urllib.request.urlopen(cs.base_url + "/metrics").read().decode()
        assert "ocs_testing_mode 0" in text.splitlines()


@pytest.mark.compshare_env(OCS_SOFT_TIMEOUT_MS="1500")
def test_an_isolated_server_is_the_tests_own(compshare_isolated, compshare):
    assert compshare_isolated.base_url != compshare.base_url
    assert compshare_isolated.server.env["OCS_SOFT_TIMEOUT_MS"] == "1500"
    assert compshare_isolated.soft_timeout_s == 1.5
    assert alive(compshare_isolated.server.pid)
