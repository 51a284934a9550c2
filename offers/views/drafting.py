from django.http import Http404


def draft(request, application_pk):  # TODO(issue 6): the offer form
    raise Http404


def edit(request, pk):
    raise Http404


def preview(request):
    raise Http404
