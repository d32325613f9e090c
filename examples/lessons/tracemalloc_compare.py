# Lesson "比较内存快照": what grew between two snapshots.
import tracemalloc

tracemalloc.start()

# 第一个快照
snapshot1 = tracemalloc.take_snapshot()

# 运行可能泄漏的代码
leaked_data = []
for i in range(1000):
    leaked_data.append([0] * 1000)

# 第二个快照
snapshot2 = tracemalloc.take_snapshot()

# 比较差异
diff = snapshot2.compare_to(snapshot1, "lineno")

print("[ 内存增长 ]")
for stat in diff[:10]:
    print(stat)
