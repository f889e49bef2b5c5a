"""The judge: snapshots, checks, detectors, the verdict, the autograd graph (torch, judge process).
May import torch, tutor.course, tutor.codeinfo, tutor.i18n; never rich; verdict.py stays torch-free.
"""
