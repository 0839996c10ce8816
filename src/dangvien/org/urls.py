from django.urls import path

from dangvien.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.unit_detail, name="unit"),
]
