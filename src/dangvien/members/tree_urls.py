from django.urls import path

from dangvien.members import tree_views

app_name = "units"
urlpatterns = [
    path("", tree_views.tree, name="tree"),
    path("<id:pk>/", tree_views.unit_detail, name="unit"),
]
