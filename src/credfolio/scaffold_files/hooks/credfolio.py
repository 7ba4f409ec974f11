"""MkDocs hooks of a credfolio district: thin calls into :mod:`credfolio.site`."""

import os
import sys

from mkdocs.plugins import event_priority

# MkDocs puts this file's folder first on sys.path while loading it, so a plain `import credfolio`
# would find this very file (hooks/credfolio.py) instead of the credfolio package.
_HERE = os.path.dirname(os.path.abspath(__file__))
_saved_path = list(sys.path)
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]
try:
    from credfolio import site
finally:
    sys.path[:] = _saved_path


def on_startup(command, dirty):
    site.on_startup(command, dirty)


def on_config(config):
    return site.on_config(config)


def on_files(files, config):
    return site.on_files(files, config)


def on_page_content(html, page, config, files):
    return site.on_page_content(html, page, config, files)


@event_priority(-100)  # after the search plugin has indexed the short version of a catalog page
def on_page_context(context, page, config, nav):
    return site.on_page_context(context, page, config, nav)


def on_post_page(output, page, config):
    return site.on_post_page(output, page, config)


def on_post_template(output_content, template_name, config):
    return site.on_post_template(output_content, template_name, config)


def on_post_build(config):
    site.on_post_build(config)
