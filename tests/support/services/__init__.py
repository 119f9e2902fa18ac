"""Servers the test suite starts by itself: Ceph RGW scripts and the S3 fault proxy."""
