"""Reading a page's forms as a browser would submit them (for HTTP tests of forms)."""

import html
import re
from html.parser import HTMLParser


class FormValues(HTMLParser):
    """What a browser would submit from a page: input values, selected options, checked boxes,
    textareas; and the options each select offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values, self.options, self.checked = {}, {}, set()
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.checked.add(name)
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.values[name] = None
            self.options[name] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))
            if "selected" in a:
                self.values[self._select] = a.get("value")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if self.values[self._select] is None and self.options[self._select]:
                # As a browser does: with nothing selected, the first option is submitted.
                self.values[self._select] = self.options[self._select][0]
            self._select = None
        elif tag == "textarea" and self._textarea:
            # As a browser reads it: a newline right after <textarea> is not part of the value.
            value = self.values[self._textarea]
            self.values[self._textarea] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_of(response):
    parser = FormValues()
    parser.feed(response.get_data(as_text=True))
    return parser


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"', re.I)


def forms_of(response):
    """Each <form> of a page: (method, action as written, what a browser would submit)."""
    forms = []
    for attributes, body in _FORM.findall(response.get_data(as_text=True)):
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTRIBUTE.findall(attributes)}
        parser = FormValues()
        parser.feed(body)
        forms.append((attrs.get("method", "get").upper(), attrs.get("action", ""), parser.values))
    return forms
