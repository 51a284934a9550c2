from django.http import Http404


def record(request, application_pk):  # TODO(issue 6): the competing-offer form
    raise Http404


def edit(request, pk):
    raise Http404


def counter(request, pk):
    raise Http404
