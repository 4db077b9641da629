package io.convt.engine;

import static io.convt.engine.GradientFixtures.all;
import static io.convt.engine.GradientFixtures.fill;
import static io.convt.engine.GradientFixtures.randomize;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convt.engine.arrow.ImageBatch;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** Fitting a known kernel from random images with plain gradient descent through the gradient states. */
class TrainingLoopTest {
  @Test
  void gradientDescentRecoversAKnownKernel() {
    Random r = new Random(1);
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 2, 2).stride(2, 2).build();
    float[] teacherW = fill(r, new float[d.weightCount()]);
    float[] teacherB = fill(r, new float[2]);
    ConvTranspose teacher = new ConvTranspose(new ArrayDataSource(d, teacherW, teacherB, "teacher"));
    ConvTranspose student = new ConvTranspose(new ArrayDataSource(d, new float[d.weightCount()], new float[2], "student"));
    ConvTransposeGradient grad = new ConvTransposeGradient(student);
    double first = -1;
    double last = -1;
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch x = ImageBatch.allocate(alloc, 8, 4, 4, 2);
        ImageBatch target = teacher.encodeBatch(alloc, randomized(r, x));
        ImageBatch gy = ImageBatch.allocate(alloc, target.count(), target.height(), target.width(), 2)) {
      float[] t = all(target);
      for (int step = 0; step < 300; step++) {
        ConvTranspose.StatefulResult fwd = student.encodeBatchWithState(alloc, x, null, true);
        try (ImageBatch y = fwd.image()) {
          float[] e = all(y);
          double loss = residual(e, t);
          first = first < 0 ? loss : first;
          last = loss;
          gy.writeAll(e, 0);
          grad.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
          grad.encode(alloc, gy, x, fwd.state());
          WeightsAndBiasesState w = student.exportWeightsAndBiases();
          float lr = 0.1f / x.count();
          for (int i = 0; i < w.weights().length; i++) {
            w.weights()[i] -= lr * fwd.state().gradientForWeights()[i];
          }
          for (int o = 0; o < 2; o++) {
            w.biases()[o] -= lr * fwd.state().gradientForBiases()[o] / 4;
          }
          student.reloadWeightsAndBiases(w);
        }
      }
    }
    assertTrue(last < 1e-4 * first, "loss " + first + " -> " + last);
    float[] learned = student.exportWeightsAndBiases().weights();
    for (int i = 0; i < learned.length; i++) {
      assertTrue(Math.abs(learned[i] - teacherW[i]) < 1e-2, "weight " + i + ": " + learned[i] + " vs " + teacherW[i]);
    }
  }

  /**
   * The MPS training cycle with Adam: forward with a gradient state, gradient kernel, the data source's
   * {@code updateWithGradientState} hook running the optimizer on the weights the pass used, then
   * {@code reloadWeightsAndBiasesFromDataSource}.
   */
  @Test
  void adamThroughTheDataSourceUpdateHookRecoversAKnownKernel() {
    Random r = new Random(2);
    ConvTransposeDescriptor d = ConvTransposeDescriptor.builder(3, 3, 3, 2).stride(2, 2).build();
    float[] teacherW = fill(r, new float[d.weightCount()]);
    ConvTranspose teacher = new ConvTranspose(new ArrayDataSource(d, teacherW, new float[] {0.5f, -0.5f}, "teacher"));
    io.convt.engine.train.TrainingOptimizer adam = new io.convt.engine.train.TrainingOptimizer(
        new io.convt.engine.train.TrainingOptimizer.Settings(io.convt.engine.train.TrainingOptimizer.Kind.ADAM, 0.05f,
            1f / 16, false, 0f, 0f, io.convt.engine.train.TrainingOptimizer.Regularization.NONE, 0f, 0f, false, 0.9,
            0.9, 0.999, 1e-8f, false));
    ArrayDataSource source = new ArrayDataSource(d, new float[d.weightCount()], new float[2], "student",
        (state, used) -> adam.encode(state, used, true));
    ConvTranspose student = new ConvTranspose(source);
    ConvTransposeGradient grad = new ConvTransposeGradient(student);
    grad.setGradientOption(GradientOption.WEIGHTS_AND_BIAS);
    double first = -1;
    double last = -1;
    try (RootAllocator alloc = new RootAllocator();
        ImageBatch x = ImageBatch.allocate(alloc, 16, 4, 4, 3);
        ImageBatch target = teacher.encodeBatch(alloc, randomized(r, x));
        ImageBatch gy = ImageBatch.allocate(alloc, target.count(), target.height(), target.width(), 2)) {
      float[] t = all(target);
      for (int step = 0; step < 400; step++) {
        ConvTranspose.StatefulResult fwd = student.encodeBatchWithState(alloc, x, null, false);
        try (ImageBatch y = fwd.image()) {
          float[] e = all(y);
          double loss = residual(e, t);
          first = first < 0 ? loss : first;
          last = loss;
          gy.writeAll(e, 0);
          grad.encode(alloc, gy, x, fwd.state());
          assertTrue(source.updateWithGradientState(fwd.state(), student.exportWeightsAndBiases()));
          student.reloadWeightsAndBiasesFromDataSource();
        }
      }
    }
    assertTrue(adam.timeStep() == 400, "one Adam step per update");
    assertTrue(last < 1e-3 * first, "loss " + first + " -> " + last);
  }

  /** e := y − t in place; returns ½‖e‖². */
  private static double residual(float[] e, float[] t) {
    double loss = 0;
    for (int i = 0; i < e.length; i++) {
      e[i] -= t[i];
      loss += 0.5 * e[i] * e[i];
    }
    return loss;
  }

  private static ImageBatch randomized(Random r, ImageBatch b) {
    randomize(r, b);
    return b;
  }
}
