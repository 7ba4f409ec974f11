"""credfolio: a school district's teacher micro-credential program as a git repository and a static site."""

__version__ = "0.1.0"
