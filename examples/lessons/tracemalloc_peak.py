# Lesson "追踪内存峰值": current and peak traced memory.
import tracemalloc

tracemalloc.start()

# 运行代码
data = [x ** 2 for x in range(100000)]

# 获取当前和峰值
current, peak = tracemalloc.get_traced_memory()

print(f"当前内存: {current / 1024 / 1024:.2f} MB")
print(f"峰值内存: {peak / 1024 / 1024:.2f} MB")

tracemalloc.stop()
