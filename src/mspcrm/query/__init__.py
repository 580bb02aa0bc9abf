"""The Autotask filter language: JSON -> typed AST, a reference evaluator, and back."""

from mspcrm.query.ast import Condition, Group, Node, Query
from mspcrm.query.parser import load_search, parse_query

__all__ = ["Condition", "Group", "Node", "Query", "load_search", "parse_query"]
