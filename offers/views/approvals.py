from django.http import Http404


def inbox(request):  # TODO(issue 6): the approvals inbox
    raise Http404
