"""MkDocs hooks of a credfolio district: thin calls into :mod:`credfolio.site`."""

from credfolio import site


def on_config(config):
    return site.on_config(config)


def on_files(files, config):
    return site.on_files(files, config)


def on_post_build(config):
    site.on_post_build(config)
