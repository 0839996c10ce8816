from django.urls import include, path

app_name = "meetings"
urlpatterns: list = [
    path("", include("dangvien.meetings.minutes_urls")),
]
