"""The pipeline's pages and API: the participant list and its bulk form, the field form, the step
file upload (check, then confirm), and the JSON operations."""

import datetime as dt
import json

import pytest
from django.test import Client

from dangvien.campaign.models import Participant, Step, StepRecord
from dangvien.core.models import AuditEntry
from tests.campaign.conftest import Pipeline
from tests.files import write_csv
from tests.reconcile.fixtures import linked_match

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _post_json(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _ids(pipeline: Pipeline, *members) -> list[int]:
    return [pipeline.participant(m).pk for m in members]


# --- pages ---------------------------------------------------------------------------------------


def test_the_list_is_scoped_in_name_order_and_filtered(pipeline):
    client = _client(pipeline.world.officer_a)
    page = client.get(f"/campaigns/{pipeline.campaign.pk}/members/")
    assert page.status_code == 200
    html = page.content.decode()
    # Given name first: Hà < Lan < Sơn; Bình (commune B) is not shown.
    assert html.index("Nguyễn Thị Hà") < html.index("Trần Thị Lan") < html.index("Phạm Văn Sơn")
    assert "Lê Văn Bình" not in html
    html = client.get(f"/campaigns/{pipeline.campaign.pk}/members/", {"unit": "GL-A-01-02"}).content.decode()
    assert "Trần Thị Lan" in html and "Nguyễn Thị Hà" not in html
    html = client.get(f"/campaigns/{pipeline.campaign.pk}/members/", {"q": "son"}).content.decode()
    assert "Phạm Văn Sơn" in html and "Trần Thị Lan" not in html
    assert client.get(f"/campaigns/{pipeline.campaign.pk}/members/", {"unit": "GL-B"}).status_code == 404


def test_the_bulk_form_records_for_the_members_ticked(pipeline):
    client = _client(pipeline.world.card_officer_a)
    ha, lan = _ids(pipeline, pipeline.ha, pipeline.lan)
    response = client.post(f"/campaigns/{pipeline.campaign.pk}/members/steps/",
                           {"participants": [ha, lan], "step": "declared", "day": "05/10/2026", "note": "",
                            "back": "unit=GL-A"})
    assert response.status_code == 302 and response["Location"].endswith("/members/?unit=GL-A")
    assert sorted(Participant.objects.filter(stage=1).values_list("pk", flat=True)) == sorted([ha, lan])
    page = client.get(response["Location"]).content.decode()
    assert "“Data declared” recorded for 2 members." in page


def test_the_bulk_form_names_every_refusal_and_records_nothing(pipeline):
    client = _client(pipeline.world.province_officer)
    ha, son = _ids(pipeline, pipeline.ha, pipeline.son)
    binh = pipeline.participant(pipeline.binh).pk
    response = client.post(f"/campaigns/{pipeline.campaign.pk}/members/steps/",
                           {"participants": [ha, son], "step": "photographed", "day": "05/10/2026"})
    assert response.status_code == 422 and not StepRecord.objects.exists()
    assert response.context["refusals"] == ["Nguyễn Thị Hà: “Data declared” comes first.",
                                            "Phạm Văn Sơn: “Data declared” comes first."]
    assert "Nothing was recorded: 2 of the members ticked cannot take this step." in response.content.decode()
    assert f'value="{ha}" id="pick-{ha}" aria-label="Nguyễn Thị Hà" checked' in response.content.decode()
    # A member outside the officer's subtree is named by number only.
    response = _client(pipeline.world.officer_a).post(f"/campaigns/{pipeline.campaign.pk}/members/steps/", {
        "participants": [binh], "step": "declared", "day": "05/10/2026"})
    assert response.context["refusals"] == [f"{binh}: Not in this campaign, or outside your scope."]


def test_the_field_form_records_the_next_step_then_undoes_it(pipeline):
    client = _client(pipeline.world.secretary_a1)
    participant = pipeline.participant(pipeline.ha)
    url = f"/campaigns/{pipeline.campaign.pk}/members/{participant.pk}/"
    html = client.get(url).content.decode()
    assert "Next: Data declared" in html and 'value="21/11/2026"' in html
    response = client.post(url + "step/", {"version": 1, "step-step": "declared", "step-day": "20/11/2026",
                                           "step-note": "Tại nhà văn hoá"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Data declared: 20/11/2026" in html and "bithu_a1" in html and "Next: Photo taken" in html
    stale = client.post(url + "undo/", {"version": 1, "undo-reason": "Nhầm"})
    assert stale.status_code == 422 and "Someone else changed" in stale.content.decode()
    assert client.post(url + "undo/", {"version": 2, "undo-reason": "Nhầm người"}).status_code == 302
    assert pipeline.participant(pipeline.ha).stage == 0


def test_the_field_form_shows_the_services_refusal(pipeline):
    client = _client(pipeline.world.secretary_a1)
    participant = pipeline.participant(pipeline.ha)
    url = f"/campaigns/{pipeline.campaign.pk}/members/{participant.pk}/"
    response = client.post(url + "step/", {"version": 1, "step-step": "declared", "step-day": "22/11/2026"})
    assert response.status_code == 422
    assert "This date is in the future." in response.content.decode()
    assert not StepRecord.objects.exists()


def test_hold_release_and_care_on_the_field_form(pipeline):
    client = _client(pipeline.world.card_officer_a)
    participant = pipeline.participant(pipeline.lan)
    url = f"/campaigns/{pipeline.campaign.pk}/members/{participant.pk}/"
    assert client.post(url + "hold/", {"version": 1, "hold-reason": "hospital", "hold-note": "Bệnh viện tỉnh"}
                       ).status_code == 302
    assert "In hospital or gravely ill: Bệnh viện tỉnh" in client.get(url).content.decode()
    assert client.post(url + "release/", {"version": 2}).status_code == 302
    assert client.post(url + "care/", {"version": 3, "care-care": "sick"}).status_code == 302
    assert Participant.objects.values_list("hold", "care", "version").get(pk=participant.pk) == ("", "sick", 4)


def test_a_participant_of_another_campaign_is_not_found(pipeline):
    from dangvien.campaign.models import Campaign

    other = Campaign.objects.create(name="Khác", unit=pipeline.world.province, start=dt.date(2026, 10, 1),
                                    deadline=dt.date(2026, 12, 31))
    participant = pipeline.participant(pipeline.ha)
    client = _client(pipeline.world.province_officer)
    assert client.get(f"/campaigns/{other.pk}/members/{participant.pk}/").status_code == 404


def test_the_upload_checks_then_records_on_confirmation(pipeline, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = _client(pipeline.world.card_officer_a)
    path = write_csv(tmp_path / "f.csv", [["Số CCCD", "Ngày"], [pipeline.ha.citizen_id, "04/10/2026"],
                                          [pipeline.lan.citizen_id, ""]])
    url = f"/campaigns/{pipeline.campaign.pk}/steps/upload/"
    with path.open("rb") as fh:
        checked = client.post(url, {"step": "declared", "day": "05/10/2026", "file": fh})
    html = checked.content.decode()
    assert checked.status_code == 200 and "The file is correct: 2 members." in html
    assert not StepRecord.objects.exists()
    token = checked.context["token"]
    done = client.post(url + "confirm/", {"token": token})
    assert done.status_code == 302
    assert sorted(StepRecord.objects.values_list("participant__member__full_name", "day")) == [
        ("Nguyễn Thị Hà", dt.date(2026, 10, 4)), ("Trần Thị Lan", dt.date(2026, 10, 5))]
    # The ticket is used up: the file is gone.
    again = client.post(url + "confirm/", {"token": token}, follow=True)
    assert "This check has expired" in again.content.decode()
    assert not list((tmp_path / "media" / "campaign-steps").iterdir())


def test_the_upload_lists_every_problem(pipeline, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = _client(pipeline.world.card_officer_a)
    path = write_csv(tmp_path / "f.csv", [["Số CCCD"], [pipeline.ha.citizen_id], [pipeline.binh.citizen_id],
                                          [pipeline.ha.citizen_id]])
    with path.open("rb") as fh:
        checked = client.post(f"/campaigns/{pipeline.campaign.pk}/steps/upload/",
                              {"step": "declared", "day": "05/10/2026", "file": fh})
    assert checked.status_code == 422
    assert [(e.line, e.message) for e in checked.context["errors"]] == [
        (3, "No member with this citizen ID in your scope."), (4, "The same member as line 2: list each member once.")]
    assert 'name="token"' not in checked.content.decode()  # no confirm form
    assert not StepRecord.objects.exists()


def test_a_forged_ticket_is_refused(pipeline):
    client = _client(pipeline.world.card_officer_a)
    response = client.post(f"/campaigns/{pipeline.campaign.pk}/steps/upload/confirm/", {"token": "x:y:z"})
    assert response.status_code == 302 and not StepRecord.objects.exists()


# --- API -----------------------------------------------------------------------------------------


def test_api_lists_participants_in_scope(pipeline):
    client = _client(pipeline.world.officer_a)
    body = client.get(f"/api/campaigns/{pipeline.campaign.pk}/participants", {"stage": 0}).json()
    assert [item["member"]["full_name"] for item in body["items"]] == ["Nguyễn Thị Hà", "Trần Thị Lan", "Phạm Văn Sơn"]
    assert (body["total"], body["items"][0]["next_step"], body["items"][0]["hold"]) == (3, "declared", None)
    assert client.get(f"/api/campaigns/{pipeline.campaign.pk}/participants", {"stage": 1}).json()["total"] == 0
    assert client.get(f"/api/campaigns/{pipeline.campaign.pk}/participants", {"unit": "GL-B"}).status_code == 404


def test_api_step_hold_and_stale_version(pipeline):
    client = _client(pipeline.world.card_officer_a)
    participant = pipeline.participant(pipeline.ha)
    base = f"/api/campaigns/{pipeline.campaign.pk}/participants/{participant.pk}"
    response = _post_json(client, base + "/steps", {"version": 1, "step": "declared", "day": "2026-10-05"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["version"], body["next_step"]) == (1, 2, "photographed")
    assert body["steps"] == [{"step": "declared", "day": "2026-10-05", "recorded_by": "the_a", "note": ""}]
    stale = _post_json(client, base + "/hold", {"version": 1, "reason": "abroad"})
    assert stale.status_code == 409
    held = _post_json(client, base + "/hold", {"version": 2, "reason": "abroad", "note": "Nhật Bản"})
    assert (held.status_code, held.json()["hold"], held.json()["hold_since"]) == (200, "abroad", "2026-11-21")
    refused = _post_json(client, base + "/steps", {"version": 3, "step": "compared", "day": "2026-10-06"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"step": ["“Photo taken” comes first."]}


def test_api_bulk_is_all_or_nothing_with_every_refusal_by_id(pipeline):
    client = _client(pipeline.world.province_officer)
    ha, son, lan = _ids(pipeline, pipeline.ha, pipeline.son, pipeline.lan)
    url = f"/api/campaigns/{pipeline.campaign.pk}/steps/bulk"
    for member in (pipeline.ha, pipeline.son):
        linked_match(member, member.citizen_id)
    assert _post_json(client, url, {"step": "declared", "day": "2026-10-05", "participants": [ha, son, lan]}
                      ).json() == {"recorded": 3}
    assert _post_json(client, url, {"step": "photographed", "day": "2026-10-05", "participants": [ha, son, lan]}
                      ).json() == {"recorded": 3}
    audit = AuditEntry.objects.count()
    response = _post_json(client, url, {"step": "compared", "day": "2026-10-06", "participants": [ha, son, lan]})
    assert response.status_code == 422
    assert response.json()["errors"] == {str(lan): [
        "Not yet linked to a person in the population database: reconcile the member's data first."]}
    assert AuditEntry.objects.count() == audit
    assert not StepRecord.objects.filter(step=Step.COMPARED).exists()


def test_api_participants_of_a_hidden_campaign_are_not_found(pipeline):
    from dangvien.campaign.models import Campaign

    other = Campaign.objects.create(name="Xã B", unit=pipeline.world.commune_b, start=dt.date(2026, 10, 1),
                                    deadline=dt.date(2026, 12, 31))
    client = _client(pipeline.world.officer_a)
    assert client.get(f"/api/campaigns/{other.pk}/participants").status_code == 404
