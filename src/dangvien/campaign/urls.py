from django.urls import path

from dangvien.campaign import report_views, views

app_name = "campaign"
urlpatterns = [
    # Reports (lists, a unit's progress, exports, urging).
    path("", report_views.campaign_list, name="list"),
    path("<id:pk>/", report_views.campaign_report_page, name="report"),
    path("<id:pk>/report.xlsx", report_views.campaign_report_xlsx, name="report_xlsx"),
    path("<id:pk>/report.pdf", report_views.campaign_report_pdf, name="report_pdf"),
    path("<id:pk>/urge/", report_views.campaign_urge, name="urge"),
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
