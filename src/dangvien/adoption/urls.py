from django.urls import path

from dangvien.adoption import views

app_name = "adoption"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("trend/", views.trend_page, name="trend"),
    path("report.xlsx", views.report_xlsx_view, name="report_xlsx"),
]
