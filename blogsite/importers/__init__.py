"""Bringing posts from other tools into a blogsite site (`blogsite import`).

`exports`: a Blogger (classic or Takeout) or WordPress (WXR) export file, read by `blogger` and
`wordpress` into the typed `model`, then images (`images`), files (`writer`), the syndication
record (`syndication`) and the report (`report`). `ssg`: a Jekyll, Hugo, Pelican or Zola site
folder.
"""
