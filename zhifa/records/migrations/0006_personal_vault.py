# Issue 9 defect 8 (ADR 0018): the personal-data vault.

import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0005_blob_flag'),
    ]

    operations = [
        migrations.CreateModel(
            name='PersonalRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('agency_id', models.BigIntegerField(db_index=True, null=True, verbose_name='机关')),
                ('stream', models.CharField(db_index=True, max_length=128, verbose_name='记录流')),
                ('algorithm', models.CharField(max_length=16, verbose_name='算法')),
                ('key_id', models.CharField(blank=True, max_length=16, verbose_name='主密钥标识')),
                ('wrapped_key', models.BinaryField(null=True, verbose_name='加密的数据密钥')),
                ('ciphertext', models.BinaryField(default=b'', verbose_name='密文')),
                ('id_index', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='证件号码盲索引')),
                ('phone_index', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='电话盲索引')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('rotated_at', models.DateTimeField(blank=True, null=True)),
                ('erased_at', models.DateTimeField(blank=True, null=True, verbose_name='删除时间')),
                ('erased_reason', models.CharField(blank=True, max_length=200, verbose_name='删除理由')),
            ],
            options={
                'verbose_name': '个人信息',
                'verbose_name_plural': '个人信息',
            },
        ),
    ]
