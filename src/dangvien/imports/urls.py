from django.urls import path

from dangvien.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.redirect_to_new, name="index"),
    path("new/", views.import_new, name="new"),
    path("template.xlsx", views.import_template, name="template"),
    path("export/<int:unit_pk>.<str:fmt>", views.export_register_view, name="export"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/abandon/", views.import_abandon, name="abandon"),
    path("<int:pk>/progress.json", views.import_progress, name="progress"),
    path("<int:pk>/rejected.xlsx", views.import_rejected_xlsx, name="rejected"),
]
