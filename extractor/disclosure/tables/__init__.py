"""The table output kind: cells with every margin and nested subtotal, primary rules, hypercube secondary
suppression with its LP audit, OpenDP noise, differencing against earlier releases. Imports config only.
"""
