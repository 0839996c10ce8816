from django.urls import path

from dangvien.campaign import views

app_name = "campaign"
urlpatterns = [
    # The per-member pipeline (PIPELINE).
    path("<id:campaign_id>/members/", views.participants, name="participants"),
    path("<id:campaign_id>/members/steps/", views.steps_bulk, name="steps_bulk"),
    path("<id:campaign_id>/members/<id:pk>/", views.participant_detail, name="participant"),
    path("<id:campaign_id>/members/<id:pk>/step/", views.participant_step, name="participant_step"),
    path("<id:campaign_id>/members/<id:pk>/hold/", views.participant_hold, name="participant_hold"),
    path("<id:campaign_id>/members/<id:pk>/release/", views.participant_release, name="participant_release"),
    path("<id:campaign_id>/members/<id:pk>/undo/", views.participant_undo, name="participant_undo"),
    path("<id:campaign_id>/members/<id:pk>/care/", views.participant_care, name="participant_care"),
    path("<id:campaign_id>/steps/upload/", views.steps_upload, name="steps_upload"),
    path("<id:campaign_id>/steps/upload/confirm/", views.steps_upload_confirm, name="steps_upload_confirm"),
]
