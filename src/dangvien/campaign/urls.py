from django.urls import path

from dangvien.campaign import report_views

app_name = "campaign"
urlpatterns = [
    # Reports (lists, a unit's progress, exports, urging).
    path("", report_views.campaign_list, name="list"),
    path("<id:pk>/", report_views.campaign_report_page, name="report"),
    path("<id:pk>/report.xlsx", report_views.campaign_report_xlsx, name="report_xlsx"),
    path("<id:pk>/report.pdf", report_views.campaign_report_pdf, name="report_pdf"),
    path("<id:pk>/urge/", report_views.campaign_urge, name="urge"),
]
