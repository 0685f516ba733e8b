"""``leakwarden demo``: replay a fictional hack-and-leak case through the real engine.

A state-backed group steals a campaign's files, including a dossier on candidate Daniel Harper with
his home address and part of his SSN. A journalist publishes it as a PDF on his newsletter and posts
links to the newsletter page. Platform A runs the ``strict`` policy; platform B runs ``share-block``.
Copies come back as quotes, a translation into Arabic, and a rewrite. Everyone in it is invented.
"""
