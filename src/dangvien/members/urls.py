from django.urls import path

from dangvien.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_admit, name="admit"),
    path("<id:pk>/", views.member_detail, name="detail"),
    path("<id:pk>/edit/", views.member_edit, name="edit"),
    path("<id:pk>/contact/", views.member_contact, name="contact"),
    path("<id:pk>/events/<slug:kind>/", views.member_event, name="event"),
]
