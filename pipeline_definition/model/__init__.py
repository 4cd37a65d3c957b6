"""Reading a definition: the step graph, placeholders and expression helpers shared by all."""
