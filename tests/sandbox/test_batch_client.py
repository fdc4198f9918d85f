"""batch/v1 through the official Python client, e2e style, on the simulated sandbox: Jobs and CronJobs created,
listed with label and field selectors, watched, patched and deleted with propagation; a busybox Job (simulated:
its `sh -c "exit 0"` ends) completes, and its pods go with it."""
from __future__ import annotations

import pytest
from kubernetes import client, watch

from tests.waiting import wait_until


@pytest.fixture
def batch(sandbox_process):
    with sandbox_process.api_client() as api_client:
        yield client.BatchV1Api(api_client), client.CoreV1Api(api_client)


def _job(name: str, command: str = "exit 0") -> client.V1Job:
    return client.V1Job(metadata=client.V1ObjectMeta(name=name, labels={"suite": "e2e"}), spec=client.V1JobSpec(
        template=client.V1PodTemplateSpec(spec=client.V1PodSpec(restart_policy="Never", containers=[
            client.V1Container(name="main", image="busybox:1.36", command=["sh", "-c", command])]))))


def _complete(job) -> bool:
    return any(c.type == "Complete" and c.status == "True" for c in (job.status.conditions or []))


def test_job_create_list_watch_patch_delete(batch, fresh_namespace):
    api, core = batch
    created = api.create_namespaced_job(fresh_namespace, _job("e2e"))
    assert created.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": created.metadata.uid}
    assert created.spec.backoff_limit == 6 and created.spec.completion_mode == "NonIndexed"
    stream = watch.Watch().stream(api.list_namespaced_job, fresh_namespace, timeout_seconds=60,
                                  resource_version=created.metadata.resource_version)
    for event in stream:
        if _complete(event["object"]):
            break
    assert api.list_namespaced_job(fresh_namespace, label_selector="suite=e2e").items[0].metadata.name == "e2e"
    assert api.list_namespaced_job(fresh_namespace, field_selector="status.successful=1").items
    assert not api.list_namespaced_job(fresh_namespace, field_selector="status.successful=0").items
    patched = api.patch_namespaced_job("e2e", fresh_namespace, {"metadata": {"labels": {"patched": "yes"}}})
    assert patched.metadata.labels["patched"] == "yes"
    with pytest.raises(client.ApiException) as e:
        api.patch_namespaced_job("e2e", fresh_namespace, {"spec": {"template": {"spec": {"containers": [
            {"name": "main", "image": "busybox:1.37"}]}}}})
    assert e.value.status == 422 and "field is immutable" in e.value.body
    pods = core.list_namespaced_pod(fresh_namespace, label_selector="job-name=e2e").items
    assert len(pods) == 1 and pods[0].status.phase == "Succeeded"
    api.delete_namespaced_job("e2e", fresh_namespace, propagation_policy="Foreground")
    wait_until(lambda: not api.list_namespaced_job(fresh_namespace).items, timeout=60, what="the Job gone")
    wait_until(lambda: not core.list_namespaced_pod(fresh_namespace, label_selector="job-name=e2e").items,
               timeout=60, what="its pods gone")


def test_a_job_without_restart_policy_is_refused_in_kube_apiservers_words(batch, fresh_namespace):
    api, _ = batch
    body = _job("bad")
    body.spec.template.spec.restart_policy = None
    with pytest.raises(client.ApiException) as e:
        api.create_namespaced_job(fresh_namespace, body)
    assert e.value.status == 422
    assert ('spec.template.spec.restartPolicy: Required value: valid values: \\"OnFailure\\", \\"Never\\"'
            in e.value.body)


def test_cronjob_create_list_watch_patch_delete(batch, fresh_namespace):
    api, _ = batch
    cron_job = client.V1CronJob(metadata=client.V1ObjectMeta(name="e2e-cron", labels={"suite": "e2e"}),
                                spec=client.V1CronJobSpec(schedule="0 3 * * *", time_zone="Europe/Paris",
                                                          job_template=client.V1JobTemplateSpec(spec=_job("x").spec)))
    created = api.create_namespaced_cron_job(fresh_namespace, cron_job)
    assert (created.spec.concurrency_policy, created.spec.suspend, created.spec.successful_jobs_history_limit,
            created.spec.failed_jobs_history_limit) == ("Allow", False, 3, 1)
    found = api.list_namespaced_cron_job(fresh_namespace, label_selector="suite=e2e",
                                         field_selector="metadata.name=e2e-cron").items
    assert [c.metadata.name for c in found] == ["e2e-cron"]
    stream = watch.Watch().stream(api.list_namespaced_cron_job, fresh_namespace, timeout_seconds=30,
                                  resource_version=created.metadata.resource_version)
    api.patch_namespaced_cron_job("e2e-cron", fresh_namespace, {"spec": {"suspend": True}})
    for event in stream:
        if event["type"] == "MODIFIED" and event["object"].spec.suspend:
            break
    with pytest.raises(client.ApiException) as e:
        api.patch_namespaced_cron_job("e2e-cron", fresh_namespace, {"spec": {"schedule": "61 * * * *"}})
    assert e.value.status == 422 and "end of range (61) above maximum (59): 61" in e.value.body
    api.delete_namespaced_cron_job("e2e-cron", fresh_namespace, propagation_policy="Background")
    wait_until(lambda: not api.list_namespaced_cron_job(fresh_namespace).items, timeout=30, what="gone")
