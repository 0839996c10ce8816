from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dangvien.org.selectors import unit_tree_with_counts


@login_required
def tree(request):
    return render(request, "org/tree.html", {"roots": unit_tree_with_counts(request.user, max_depth=2)})
