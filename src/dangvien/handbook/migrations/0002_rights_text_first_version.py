"""The first version of the rights-and-duties page: a short summary of Articles 2 and 3 of the
Party Charter, in plain words for the handbook. Administrators replace it with the text their
committee approves (a new version in the admin)."""

from django.db import migrations

SUMMARY = """Tóm tắt nhiệm vụ và quyền của đảng viên theo Điều lệ Đảng (Điều 2 và Điều 3). Văn bản chính thức do cấp ủy cung cấp.

NHIỆM VỤ CỦA ĐẢNG VIÊN
1. Trung thành với mục đích, lý tưởng của Đảng; thực hiện nghiêm Cương lĩnh, Điều lệ, nghị quyết của Đảng và pháp luật của Nhà nước; hoàn thành tốt nhiệm vụ được giao và chấp hành sự phân công của tổ chức.
2. Thường xuyên học tập, rèn luyện, nâng cao trình độ, phẩm chất chính trị và đạo đức; sống lành mạnh; đấu tranh chống tham nhũng, lãng phí, quan liêu và các biểu hiện tiêu cực.
3. Gắn bó với nhân dân, tôn trọng quyền làm chủ của nhân dân; tham gia công tác quần chúng nơi làm việc và nơi cư trú; vận động gia đình và mọi người thực hiện chủ trương của Đảng, chính sách và pháp luật của Nhà nước.
4. Tham gia xây dựng Đảng; giữ kỷ luật và đoàn kết; tự phê bình và phê bình, trung thực với Đảng; sinh hoạt đảng và đóng đảng phí đúng quy định.

QUYỀN CỦA ĐẢNG VIÊN
1. Được thông tin, thảo luận các vấn đề về đường lối, chủ trương của Đảng và biểu quyết công việc của Đảng.
2. Ứng cử, đề cử và bầu cử cơ quan lãnh đạo các cấp của Đảng theo quy định.
3. Phê bình, chất vấn hoạt động của tổ chức đảng và đảng viên trong phạm vi tổ chức; báo cáo, kiến nghị với cơ quan có trách nhiệm và được trả lời.
4. Trình bày ý kiến khi tổ chức đảng nhận xét, quyết định công tác hoặc xem xét kỷ luật đối với mình.

Đảng viên dự bị có các quyền trên, trừ quyền biểu quyết, ứng cử và bầu cử cơ quan lãnh đạo của Đảng."""


def publish(apps, schema_editor):
    RightsText = apps.get_model("handbook", "RightsText")
    if not RightsText.objects.exists():
        RightsText.objects.create(version=1, body=SUMMARY)


class Migration(migrations.Migration):
    dependencies = [("handbook", "0001_initial")]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
