from django.http import Http404


def detail(request, pk):  # TODO(issue 6): the offer page
    raise Http404


def compare(request, pk, other_pk):
    raise Http404


def step(request, pk, step):
    raise Http404


def letter(request, pk):
    raise Http404
