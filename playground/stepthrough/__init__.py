"""Step-through training views: stages of one step, diagnostics, neuron maths, replay timeline."""
