from django.urls import path

from dangvien.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.redirect_to_new, name="index"),
    path("new/", views.import_new, name="new"),
    path("template.xlsx", views.import_template, name="template"),
    path("export/<id:unit_pk>.<str:fmt>", views.export_register_view, name="export"),
    path("<id:pk>/", views.import_detail, name="detail"),
    path("<id:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<id:pk>/undo/", views.import_undo, name="undo"),
    path("<id:pk>/abandon/", views.import_abandon, name="abandon"),
    path("<id:pk>/progress.json", views.import_progress, name="progress"),
    path("<id:pk>/rejected.xlsx", views.import_rejected_xlsx, name="rejected"),
]
