from django.urls import path

from dangvien.reconcile import views

app_name = "reconcile"
urlpatterns = [
    path("", views.summary, name="summary"),
    path("units/<id:pk>/", views.summary_unit, name="unit"),
    path("units/<id:pk>/summary.xlsx", views.summary_export, name="export"),
    path("review/", views.review, name="review"),
    path("matches/<id:pk>/accept/", views.match_accept, name="match_accept"),
    path("matches/<id:pk>/reject/", views.match_reject, name="match_reject"),
    path("discrepancies/", views.discrepancies, name="discrepancies"),
    path("discrepancies/accept-bulk/", views.discrepancies_accept_bulk, name="accept_bulk"),
    path("discrepancies/<id:pk>/accept/", views.discrepancy_accept, name="discrepancy_accept"),
    path("discrepancies/<id:pk>/reject/", views.discrepancy_reject, name="discrepancy_reject"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/<id:pk>/", views.run_detail, name="run"),
    path("runs/<id:pk>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<id:pk>/abandon/", views.run_abandon, name="run_abandon"),
]
