package io.convt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.Neuron;
import io.convt.engine.NeuronType;
import io.convt.engine.golden.GoldenCase;
import io.convt.engine.io.Npy;
import io.convt.engine.io.NpyArray;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --neuron} (shared by scripts/convt and scripts/convt-job): MPS defaults for parameters not given. */
class NeuronFlagTest {
  @TempDir Path tmp;

  @Test
  void parameterlessNeuronsTakeMpsDefaults() {
    assertEquals(Neuron.of(NeuronType.TANH, 1f, 1f, 1f), LayerOptions.parseNeuron("tanh"));
    assertEquals(Neuron.of(NeuronType.HARD_SIGMOID, 0.2f, 0.5f, 1f), LayerOptions.parseNeuron("hard_sigmoid"));
    assertEquals(Neuron.of(NeuronType.HARD_SIGMOID, 0.2f, 0.5f, 1f), LayerOptions.parseNeuron("hard-sigmoid"));
    assertEquals(Neuron.of(NeuronType.SOFT_PLUS, 1f, 1f, 1f), LayerOptions.parseNeuron("soft_plus"));
    assertEquals(Neuron.of(NeuronType.RELUN, 1f, 6f, 1f), LayerOptions.parseNeuron("relun"));
    assertEquals(Neuron.of(NeuronType.EXPONENTIAL, 1f, 0f, -1f), LayerOptions.parseNeuron("exponential"));
    assertEquals(Neuron.of(NeuronType.LOGARITHM, 1f, 0f, -1f), LayerOptions.parseNeuron("logarithm"));
    assertEquals(Neuron.of(NeuronType.RELU, 0f, 0f, 1f), LayerOptions.parseNeuron("relu"));
    assertEquals(Neuron.of(NeuronType.LINEAR, 1f, 0f, 1f), LayerOptions.parseNeuron("LINEAR"));
    assertEquals(Neuron.NONE, LayerOptions.parseNeuron("none"));
  }

  @Test
  void givenParametersAreUsedAndTheRestDefault() {
    assertEquals(Neuron.of(NeuronType.RELUN, 0.1f, 6f, 1f), LayerOptions.parseNeuron("relun:0.1"));
    assertEquals(Neuron.of(NeuronType.TANH, 2f, 1f, 1f), LayerOptions.parseNeuron("tanh:2"));
    assertEquals(Neuron.of(NeuronType.EXPONENTIAL, 1f, 0f, 2f), LayerOptions.parseNeuron("exponential:1,0,2"));
    assertEquals(Neuron.of(NeuronType.LINEAR, 2f, 1f, 1f), LayerOptions.parseNeuron("linear:2,1"));
  }

  @Test
  void parametersATypeDoesNotUseAreRefusedNamingTheFlag() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LayerOptions.parseNeuron("sigmoid:2"));
    assertEquals("Invalid value for --neuron: 'sigmoid:2': Cannot create neuron SIGMOID: it takes no parameters, got 1",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LayerOptions.parseNeuron("tanh:1,2,3"));
    assertTrue(e.getMessage().startsWith("Invalid value for --neuron: 'tanh:1,2,3'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LayerOptions.parseNeuron("tanh:x"));
    assertTrue(e.getMessage().startsWith("Invalid value for --neuron: 'x'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LayerOptions.parseNeuron("tanh:NaN"));
    assertTrue(e.getMessage().contains("finite"), e.getMessage());
  }

  @Test
  void forwardWithTanhIsTanhOfTheLinearOutput() {
    GoldenCase c = GoldenCase.load("s1_k3_basic");
    String x = c.dir().resolve("x.npy").toString();
    String w = c.dir().resolve("w.npy").toString();
    Path lin = tmp.resolve("lin.npy");
    Path tanh = tmp.resolve("tanh.npy");
    StringWriter err = new StringWriter();
    PrintWriter e = new PrintWriter(err, true);
    PrintWriter o = new PrintWriter(new StringWriter(), true);
    assertEquals(0, ConvtCli.run(new String[] {"forward", "--input", x, "--weights", w, "--weights-layout", "pytorch",
        "--output", lin.toString()}, o, e), err.toString());
    assertEquals(0, ConvtCli.run(new String[] {"forward", "--input", x, "--weights", w, "--weights-layout", "pytorch",
        "--neuron", "tanh", "--output", tanh.toString()}, o, e), err.toString());
    NpyArray l = Npy.read(lin);
    NpyArray t = Npy.read(tanh);
    assertArrayEquals(l.shape(), t.shape());
    float[] lv = l.floats();
    float[] tv = t.floats();
    double maxAbs = 0;
    for (int i = 0; i < lv.length; i++) {
      assertEquals(Math.tanh(lv[i]), tv[i], 1e-6, "element " + i);
      maxAbs = Math.max(maxAbs, Math.abs(tv[i]));
    }
    assertTrue(maxAbs > 0.1, "tanh output is not all zeros");
  }
}
