"""Clients' messages to therapists and practices: the form, the inbox, privacy and retention.
(Blueprints: directory.inquiries.views; the daily job: directory.inquiries.cli.)"""
