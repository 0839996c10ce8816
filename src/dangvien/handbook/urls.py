from django.urls import path

from dangvien.handbook import views

app_name = "handbook"
urlpatterns = [
    path("", views.home, name="home"),
    path("activate/", views.activate, name="activate"),
    path("rights/", views.rights, name="rights"),
    path("display/", views.display, name="display"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("cell/", views.cell_index, name="cell_index"),
    path("cell/<id:pk>/", views.cell, name="cell"),
    path("members/<id:pk>/code/", views.member_code, name="member_code"),
    path("members/<id:pk>/register/", views.member_register, name="member_register"),
    path("members/<id:pk>/no-smartphone/", views.member_no_smartphone, name="member_no_smartphone"),
    path("members/<id:pk>/evaluation/", views.member_evaluation, name="member_evaluation"),
    path("members/<id:pk>/fees/", views.member_fees, name="member_fees"),
]
