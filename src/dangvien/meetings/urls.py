from django.urls import include, path

from dangvien.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", include("dangvien.meetings.minutes_urls")),
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("mine/attendance/", views.my_attendance, name="my_attendance"),
    path("checkin/", views.checkin_page, name="checkin"),
    path("c/<str:token>/", views.checkin_link, name="checkin_link"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("<id:pk>/", views.meeting_detail, name="detail"),
    path("<id:pk>/edit/", views.meeting_edit, name="edit"),
    path("<id:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("<id:pk>/qr/", views.meeting_qr, name="qr"),
    path("<id:pk>/calendar.ics", views.meeting_ics, name="ics"),
    path("<id:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("<id:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("<id:pk>/invitations/", views.invitation_add, name="invitation_add"),
    path("<id:pk>/attendance/", views.attendance_mark, name="attendance"),
    path("agenda/<id:pk>/remove/", views.agenda_remove, name="agenda_remove"),
    path("attachments/<id:pk>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/<id:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("invitations/<id:pk>/remove/", views.invitation_remove, name="invitation_remove"),
    path("units/<id:pk>/attendance/", views.cell_attendance, name="cell_attendance"),
    path("units/<id:pk>/registrations/", views.registrations, name="registrations"),
]
