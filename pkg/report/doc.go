// Package report renders a migration plan and its findings for people and
// scripts: a text table, JSON and YAML in the shape cli.md fixes, a Markdown
// report to keep, and a Graphviz digraph. Every rendering is a pure function
// of its input, so the same plan and findings give byte-identical output.
package report
