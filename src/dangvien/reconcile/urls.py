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
]
