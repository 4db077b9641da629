package io.convt.job;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.convt.engine.ArrayDataSource;
import io.convt.engine.WeightsAndBiasesState;
import io.convt.engine.train.Checkpoint;
import io.convt.engine.train.StepGradients;
import io.convt.engine.train.TrainingOptimizer;
import org.junit.jupiter.api.Test;

/** {@link ArchitectureTest#onlyTheEngineTakesTrainingSteps} can fail: job classes that take a step are caught. */
class TrainingLoopRuleTest {
  /** A job class running the optimizer itself, as the job's trainer once did. */
  static final class StepsTheOptimizer {
    float[][] step(TrainingOptimizer o, float[] w, float[] g) {
      return o.step(new float[][] {w}, new float[][] {g});
    }
  }

  /** A job class updating a data source's weights through the MPS hook itself. */
  static final class UpdatesTheDataSource {
    boolean update(ArrayDataSource s, WeightsAndBiasesState used, float[] g) {
      return s.updateWithGradientState(new StepGradients(g, null), used);
    }
  }

  /** A job class writing its own checkpoint. */
  static final class WritesACheckpoint {
    Checkpoint of(float[] w) {
      return new Checkpoint(w, new int[] {w.length, 1, 1, 1}, null, java.util.Map.of(), 1, 1, java.util.Map.of());
    }
  }

  /** A job class that only parses optimizer settings, as the CLI does. */
  static final class ParsesSettings {
    TrainingOptimizer.Kind kind(String s) {
      return TrainingOptimizer.Settings.kind(s);
    }
  }

  private static boolean violates(Class<?> c) {
    JavaClasses classes = new ClassFileImporter().importClasses(c);
    return ArchitectureTest.onlyTheEngineTakesTrainingSteps.evaluate(classes).hasViolation();
  }

  @Test
  void aJobClassThatStepsIsCaught() {
    assertTrue(violates(StepsTheOptimizer.class));
    assertTrue(violates(UpdatesTheDataSource.class));
    assertTrue(violates(WritesACheckpoint.class));
  }

  @Test
  void parsingSettingsIsAllowed() {
    assertFalse(violates(ParsesSettings.class));
  }
}
