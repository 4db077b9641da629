package io.convt.job;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.convt.job.gradients.GradientsRequest;
import io.convt.job.gradients.IndexedTensor;
import io.convt.job.gradients.PartialGradients;
import io.convt.job.gradients.RootGradients;
import io.convt.job.infer.InputItem;
import io.convt.job.storage.TaskAttempt;
import java.util.HashMap;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;
import org.apache.spark.sql.types.StructType;

/**
 * Makes the job's data safe under {@code spark.serializer=org.apache.spark.serializer.KryoSerializer}, with or
 * without {@code spark.kryo.registrationRequired=true}: every class the job ships through Spark's serializer
 * (broadcasts, parallelized items, shuffled partial gradients, task results) goes through Java serialization inside
 * Kryo, exactly the bytes Spark's default serializer would produce.
 *
 * <p>Why not Kryo's own field serializer: Spark's Kryo (4.x) cannot build one for Java records (it fails with "can't
 * get field offset on a record class"), and it skips {@code writeObject}, which {@link PartialGradients} relies on
 * to ship its sums as bytes. These objects are few and large (weights, gradient sums), so Kryo's compactness gains
 * nothing here. {@link JobSession} adds this registrator to every session it starts; a session built elsewhere
 * needs {@code spark.kryo.registrator=io.convt.job.JobKryoRegistrator} when it uses Kryo.
 */
public final class JobKryoRegistrator implements KryoRegistrator {
  /** The classes the job hands to Spark's serializer (the Kryo test fails if one is missing). */
  static final List<Class<?>> SHIPPED = List.of(LayerWeights.class, InputItem.class, TaskAttempt.class,
      GradientsRequest.class, PartialGradients.class, RootGradients.class, IndexedTensor.class);

  @Override
  public void registerClasses(Kryo kryo) {
    JavaSerializer java = new JavaSerializer();
    for (Class<?> c : SHIPPED) {
      kryo.register(c, java);
    }
    kryo.register(HashMap.class); // record positions by id (image directories), broadcast as a plain map
    kryo.addDefaultSerializer(Record.class, JavaSerializer.class); // any other record nested in what is shipped
    // Spark's own Parquet schema inference (reading a tensor dataset) returns each file's schema as a task result:
    // Spark registers StructType for Kryo's field serializer but not the data types below it (ArrayType, ...), so
    // under registrationRequired the read fails; a schema in Java serialization keeps Scala's singleton types
    kryo.register(StructType.class, java);
  }
}
