"""The Kubernetes source: one event or a list, one alert per object and problem."""

from __future__ import annotations

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.models import AlertStatus
from imas.alerts.sources.kubernetes import KubernetesSource
from imas.incidents.models import Severity

POD = {
    "cluster": "prod",
    "problem": "pod_backoff",
    "namespace": "shop",
    "pod": "checkout-1",
    "node": "node-1",
    "service": "checkout",
    "reason": "CrashLoopBackOff",
    "restarts": 12,
    "message": "back-off 5m0s restarting failed container",
}


class TestParse:
    def test_a_crash_looping_pod(self):
        [alert] = KubernetesSource().parse(POD)
        assert alert.status == AlertStatus.FIRING
        assert alert.title == "Pod shop/checkout-1 is in CrashLoopBackOff in cluster prod"
        assert alert.service_name == "checkout"
        assert alert.severity == Severity.SEV3_MEDIUM
        assert alert.labels["cluster"] == "prod"
        assert alert.labels["restarts"] == "12"
        assert alert.fingerprint == "k8s:prod:pod_backoff:pod shop/checkout-1"

    def test_a_list_and_a_resolution_of_the_same_object(self):
        firing, resolved = KubernetesSource().parse([POD, {**POD, "status": "resolved"}])
        assert firing.fingerprint == resolved.fingerprint
        assert resolved.status == AlertStatus.RESOLVED

    def test_a_not_ready_node_is_high(self):
        [alert] = KubernetesSource().parse(
            {"cluster": "prod", "problem": "node_not_ready", "node": "n1", "reason": "NotReady"}
        )
        assert alert.severity == Severity.SEV2_HIGH
        assert alert.title == "Node n1 is NotReady in cluster prod"

    @pytest.mark.parametrize(
        "payload", [{}, {"cluster": "prod", "problem": "meltdown"}, [], "text", [POD, 1]]
    )
    def test_bad_payloads_are_refused(self, payload):
        with pytest.raises(InvalidPayload):
            KubernetesSource().parse(payload)
