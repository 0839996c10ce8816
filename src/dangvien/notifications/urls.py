from django.urls import path

from dangvien.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<id:pk>/read/", views.mark_read, name="read"),
]
