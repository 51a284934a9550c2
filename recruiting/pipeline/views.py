from django.http import Http404


def application(request, pk):  # TODO(issue 6): the application page
    raise Http404


def move(request, pk):
    raise Http404


def log(request, pk):
    raise Http404
